/**
 * The follower side of replicatedAckFloor.ts: listens on a loopback port
 * (printed on stdout), reads 4-byte length-prefixed frames, makes each
 * durable in `<dir>/floor-follower.bin` (group commit) and acks with the
 * count made durable so far (a uint32). No tidaldb code.
 *
 *   node dist/test/bench/replicatedAckFloorChild.js <dir>
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { GroupCommitter } from './groupCommitter.js';

const fd = fs.openSync(join(process.argv[2]!, 'floor-follower.bin'), 'w');
const disk = new GroupCommitter(fd);
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let buffered = Buffer.alloc(0);
  let durable = 0;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4 && buffered.length >= 4 + buffered.readUInt32BE(0)) {
      const length = buffered.readUInt32BE(0);
      const frame = buffered.subarray(4, 4 + length);
      buffered = buffered.subarray(4 + length);
      disk.commit(frame, () => {
        const ack = Buffer.alloc(4);
        ack.writeUInt32BE(++durable);
        socket.write(ack);
      });
    }
  });
  socket.on('close', () => {
    server.close();
    fs.closeSync(fd);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
