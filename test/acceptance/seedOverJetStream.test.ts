/**
 * The replication acceptance suite again, over NATS JetStream: a real
 * nats-server on a free loopback port with a temporary store, started and
 * stopped here. Skips, saying how to install it, where nats-server is missing.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { jetStreamConformance } from '../support/jetStreamCluster.js';
import { NATS_SERVER_AVAILABLE, NATS_SKIP_REASON, NatsServer } from '../bench/jetStreamServer.js';
import { seedSuite } from './seedSuite.js';

if (!NATS_SERVER_AVAILABLE) {
  describe('the seed acceptance suite over JetStream', () => it.skip(NATS_SKIP_REASON, () => {}));
} else {
  let nats: NatsServer | null = null;
  beforeAll(async () => {
    nats = await NatsServer.start();
  });
  afterAll(async () => {
    await nats?.close();
  });
  seedSuite(jetStreamConformance(() => nats!));
}
