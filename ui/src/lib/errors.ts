// Every command rejects with an IpcError `{kind, message}`; show its message.
export function errorMessage(e: unknown): string {
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && 'message' in e) {
    const message = (e as { message: unknown }).message;
    if (typeof message === 'string' && message.length > 0) return message;
  }
  return String(e);
}
