/**
 * One connection's handshake on a follower's side, a small state machine:
 *
 *   hello { nonce } ─▶ challenge ─▶ proof ─▶ welcome: the leader's proof ─▶ (sealed frames) ─▶ the caller checks the epoch
 *     refuse at any point: the leader's reason and code
 *
 * The token never leaves: the hello carries a nonce, the proof an HMAC. A
 * leader that cannot prove it knows the token is refused with `AuthFailed`
 * before anything it sends after the welcome is read, so no segment from
 * it is ever accepted.
 */
import { randomBytes } from 'node:crypto';
import { TidalError, type TidalDb } from '../../src/index.js';
import type { PeerId } from '../transport.js';
import type { FrameConnection } from './frameConnection.js';
import { helloFor, versionRefusal } from './handshake.js';
import { followerProof, frameKeys, leaderProof, proofsMatch, transcriptHash, transcriptOf } from './handshakeProof.js';
import { NONCE_BYTES } from './tcpDefaults.js';
import type { HelloMessage, TcpMessage, WelcomeMessage } from './tcpMessages.js';

export interface FollowerHandshakeContext {
  readonly db: TidalDb;
  readonly peer: PeerId;
  /** The key derived from the token (deriveAuthKey). */
  readonly authKey: Uint8Array;
  /** TLS exported keying material of this connection (read once TLS is up), or empty without TLS. */
  readonly channelBinding: () => Uint8Array;
  /** Seal frames after the welcome (false with TLS). */
  readonly sealFrames: boolean;
}

type Step =
  | { readonly at: 'start' }
  | { readonly at: 'challenge'; readonly hello: HelloMessage }
  | { readonly at: 'welcome'; readonly th: Buffer }
  | { readonly at: 'over' };

/** The follower's side of one connection's handshake: see the file comment. */
export class FollowerHandshake {
  private step: Step = { at: 'start' };

  constructor(private readonly conn: FrameConnection, private readonly ctx: FollowerHandshakeContext) {}

  /** Sends the hello, with a fresh nonce and the follower's mark as it stands now. */
  start(): void {
    const hello = helloFor(this.ctx.db, this.ctx.peer, randomBytes(NONCE_BYTES));
    this.step = { at: 'challenge', hello };
    this.conn.send(hello);
  }

  /**
   * Takes one handshake message. Returns the welcome once the leader has
   * proved itself (from then on frames are sealed, without TLS); null while
   * the handshake goes on.
   * @throws TidalError: the leader's refusal (its code), AuthFailed for a leader that cannot prove the token,
   *   ConfigMismatch for another protocol version, InvalidInput for a message out of turn
   */
  onMessage(m: TcpMessage): WelcomeMessage | null {
    const step = this.step;
    if (m.t === 'otherVersion') throw versionRefusal(m);
    if (step.at === 'challenge' && m.t === 'challenge') {
      const { hello } = step;
      const th = transcriptHash(transcriptOf({
        peer: hello.peer, shardId: hello.shardId, epoch: hello.epoch, appliedSeq: hello.appliedSeq,
        followerNonce: hello.nonce, leaderNonce: m.nonce, channelBinding: this.ctx.channelBinding(),
      }));
      this.step = { at: 'welcome', th };
      this.conn.send({ t: 'proof', proof: followerProof(this.ctx.authKey, th) });
      return null;
    }
    if (step.at === 'welcome' && m.t === 'welcome') return this.onWelcome(step.th, m);
    const expected = step.at === 'challenge' ? 'a challenge' : 'a welcome';
    throw new TidalError('InvalidInput', `expected ${expected} or a refusal from the leader, got a '${m.t}' message`);
  }

  private onWelcome(th: Buffer, m: WelcomeMessage): WelcomeMessage {
    this.step = { at: 'over' };
    if (!proofsMatch(m.proof, leaderProof(this.ctx.authKey, th, m.epoch))) {
      throw new TidalError('AuthFailed', `${this.conn.remote} could not prove it knows the token: `
        + 'not the leader (or its token differs); nothing it sends is accepted');
    }
    if (this.ctx.sealFrames) {
      const keys = frameKeys(this.ctx.authKey, th);
      this.conn.secure({ send: keys.followerToLeader, receive: keys.leaderToFollower });
    }
    return m;
  }
}
