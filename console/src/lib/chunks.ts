// Splitting a CSV file's bytes into chunks of whole records for the import API: a record
// ends at a newline byte (0x0A) outside double quotes. Safe for UTF-8 and Big5, whose
// multi-byte characters never contain the bytes 0x0A or 0x22. Chunk 0 starts at the
// file's first byte, so it carries the header.

export const CHUNK_LIMIT = 1024 * 1024;

/** Where the last whole record within `bytes` ends (after its newline); 0 if none does.
 * `bytes` must start at a record boundary (outside quotes). */
export function lastRecordEnd(bytes: Uint8Array): number {
  let quoted = false;
  let end = 0;
  for (let index = 0; index < bytes.length; index++) {
    const byte = bytes[index];
    if (byte === 0x22) quoted = !quoted;
    else if (byte === 0x0a && !quoted) end = index + 1;
  }
  return end;
}

export interface Piece {
  start: number;
  end: number;
}

/** The chunks of `file`: each at most `limit` bytes, whole records only (the last one may
 * lack a final newline). Reads the file a window at a time. */
export async function pieces(file: Blob, limit = CHUNK_LIMIT): Promise<Piece[]> {
  const found: Piece[] = [];
  let start = 0;
  while (start < file.size) {
    if (file.size - start <= limit) {
      found.push({ start, end: file.size });
      break;
    }
    const window = new Uint8Array(await file.slice(start, start + limit).arrayBuffer());
    const cut = lastRecordEnd(window);
    if (cut === 0) throw new RangeError(`a record at byte ${start} is longer than ${limit} bytes`);
    found.push({ start, end: start + cut });
    start += cut;
  }
  return found;
}

/** The first bytes of `file` for the preview: up to `limit`, cut after a whole record. */
export async function head(file: Blob, limit = 256 * 1024): Promise<Uint8Array> {
  const bytes = new Uint8Array(await file.slice(0, limit).arrayBuffer());
  if (file.size <= limit) return bytes;
  const cut = lastRecordEnd(bytes);
  return cut ? bytes.slice(0, cut) : bytes;
}
