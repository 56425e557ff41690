/** The parts of the `radius` package (1.1.4, CommonJS, no types of its own) this adapter uses. */
declare module 'radius' {
  export type AttributeValue = string | number | Buffer | null | AttributeValue[] | Record<string, unknown>;
  export type EncodeAttribute = [string | number, ...unknown[]];
  export interface DecodedPacket {
    code: string;
    identifier: number;
    length: number;
    authenticator: Buffer;
    attributes: Record<string, AttributeValue>;
    raw_attributes: Array<[number, Buffer]>;
  }
  export function decode_without_secret(args: { packet: Buffer }): DecodedPacket;
  /** Checks the Message-Authenticator too (as UTF-8 strings: see wire/message-authenticator.ts); throws on a mismatch. */
  export function decode(args: { packet: Buffer; secret: string }): DecodedPacket;
  export function encode(args: {
    code: string;
    identifier: number;
    authenticator: Buffer;
    secret: string;
    attributes: EncodeAttribute[];
    add_message_authenticator?: boolean;
  }): Buffer;
  const radius: { decode_without_secret: typeof decode_without_secret; decode: typeof decode; encode: typeof encode };
  export default radius;
}
