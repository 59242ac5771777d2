/**
 * One connection's handshake on the leader's side, a small state machine:
 *
 *   hello ─▶ (version) ─▶ challenge { nonce } ─▶ proof ─▶ (the proof, then shard, follower set, peer in use) ─▶ welcome { epoch, proof }
 *     any other first message: closed without a reply; a failed check: refuse { reason, code } and close
 *
 * The leader sends nothing about itself (not its epoch, shard or follower
 * set) until the follower has proved it knows the token; all a peer
 * without the token gets is a random nonce and `AuthFailed`. Without TLS,
 * frames after the welcome are sealed (frameSealer.ts); with TLS, the
 * transcript binds the proofs to the TLS channel instead.
 */
import { randomBytes } from 'node:crypto';
import { TidalError, type TidalDb } from '../../src/index.js';
import type { FrameConnection } from './frameConnection.js';
import { challengeFor, epochOf, versionRefusal, welcomeFor } from './handshake.js';
import { followerProof, frameKeys, leaderProof, proofsMatch, transcriptHash, transcriptOf } from './handshakeProof.js';
import { NONCE_BYTES } from './tcpDefaults.js';
import type { HelloMessage, TcpMessage } from './tcpMessages.js';

/** Why a handshake failed authentication, as counted in `replication.authFailures.<reason>` ('tls' is counted by the listener). */
export type LeaderAuthFailure = 'badProof';

export interface LeaderHandshakeContext {
  readonly db: TidalDb;
  /** The key derived from the token (deriveAuthKey). */
  readonly authKey: Uint8Array;
  /** TLS exported keying material of this connection, or empty without TLS. */
  readonly channelBinding: Uint8Array;
  /** Seal frames after the welcome (false with TLS, which authenticates every record itself). */
  readonly sealFrames: boolean;
  /** The checks after the proof (shard, follower set, peer in use): why to refuse `hello`, or null. */
  readonly refusalOf: (hello: HelloMessage) => TidalError | null;
  readonly onAuthFailure: (reason: LeaderAuthFailure) => void;
}

type Step = { readonly at: 'hello' } | { readonly at: 'proof'; readonly hello: HelloMessage; readonly leaderNonce: Buffer } | { readonly at: 'over' };

/** The leader's side of one connection's handshake: see the file comment. */
export class LeaderHandshake {
  private step: Step = { at: 'hello' };

  constructor(private readonly conn: FrameConnection, private readonly ctx: LeaderHandshakeContext) {}

  /**
   * Takes one handshake message. Returns the follower's hello once it is
   * welcomed (the connection is then established and, without TLS, sealed);
   * null while the handshake goes on or after a refusal.
   * @throws TidalError InvalidInput for a message out of turn (the connection closes without a reply)
   */
  onMessage(m: TcpMessage): HelloMessage | null {
    const step = this.step;
    if (step.at === 'hello') return this.onHello(m);
    if (step.at === 'proof') return this.onProof(step.hello, step.leaderNonce, m);
    return null;
  }

  private onHello(m: TcpMessage): null {
    if (m.t === 'otherVersion' && m.of === 'hello') return this.refuse(versionRefusal(m));
    if (m.t !== 'hello') throw new TidalError('InvalidInput', `expected a hello first, got a '${m.t === 'otherVersion' ? m.of : m.t}' message`);
    const leaderNonce = randomBytes(NONCE_BYTES);
    this.step = { at: 'proof', hello: m, leaderNonce };
    this.conn.send(challengeFor(leaderNonce));
    return null;
  }

  private onProof(hello: HelloMessage, leaderNonce: Buffer, m: TcpMessage): HelloMessage | null {
    if (m.t !== 'proof') throw new TidalError('InvalidInput', `expected a proof after the challenge, got a '${m.t === 'otherVersion' ? m.of : m.t}' message`);
    const { authKey, channelBinding, db } = this.ctx;
    const th = transcriptHash(transcriptOf({
      peer: hello.peer, shardId: hello.shardId, epoch: hello.epoch, appliedSeq: hello.appliedSeq,
      followerNonce: hello.nonce, leaderNonce, channelBinding,
    }));
    if (!proofsMatch(m.proof, followerProof(authKey, th))) {
      this.ctx.onAuthFailure('badProof');
      // The reason names the peer id it claimed, never what it presented.
      return this.refuse(new TidalError('AuthFailed', `peer ${JSON.stringify(hello.peer)} could not prove it knows the token`));
    }
    const refusal = this.ctx.refusalOf(hello);
    if (refusal) return this.refuse(refusal);
    this.step = { at: 'over' };
    this.conn.send(welcomeFor(db, leaderProof(authKey, th, epochOf(db))));
    if (this.ctx.sealFrames) {
      const keys = frameKeys(authKey, th);
      this.conn.secure({ send: keys.leaderToFollower, receive: keys.followerToLeader });
    }
    this.conn.establish();
    return hello;
  }

  private refuse(error: TidalError): null {
    this.step = { at: 'over' };
    this.conn.refuse(error);
    return null;
  }
}
