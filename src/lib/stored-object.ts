// A settings column's JSON text as an object: anything unreadable (not JSON, not an object) is
// the empty object, so each field falls back to its default and a settings read never throws.
export function storedObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
