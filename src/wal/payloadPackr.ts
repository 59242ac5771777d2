/**
 * The msgpackr instance of batch payloads, v2 and v3 alike: plain arrays
 * (no records extension, so other msgpack readers can read the bytes), maps
 * decoded as objects (an item's `fields`, checked by checkItemFields, which
 * refuses a '__proto__' key). One instance, used synchronously.
 */
import { Packr } from 'msgpackr';

/** Packs and unpacks batch payloads (see the file comment); synchronous, so one instance serves every batch. */
export const payloadPackr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
