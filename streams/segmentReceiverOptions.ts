import type { SchedulerLike } from 'rxjs';
import type { TidalDb } from '../src/index.js';
import type { FollowerTransport, PeerId } from './transport.js';

/** The options of startFollower (and the SegmentReceiver). */
export interface FollowerOptions {
  /** The follower database (role 'follower'). */
  readonly db: TidalDb;
  /** This follower's end of the transport (InProcessTransport, `TcpTransport.connect`, WorkerTransportFollower, …). */
  readonly transport: FollowerTransport;
  /** This follower's peer id on the transport. */
  readonly peer: PeerId;
  /** Heartbeat: re-send the ack (or a pending resend request) this often, in ms. Default 1000. */
  readonly feedbackIntervalMs?: number;
  /** Checkpoint the follower this often, in ms, so a restart replays little; 0 turns it off. Default 60000. */
  readonly checkpointIntervalMs?: number;
  readonly scheduler?: SchedulerLike;
}
