/**
 * Finds strings in an expanded card that still hold `${…}`: an expression the templating engine
 * could not evaluate (it leaves the text as it was), which a reader would see verbatim.
 */
export function unboundPaths(value: unknown, path = '$', out: string[] = []): string[] {
  if (typeof value === 'string') {
    if (value.includes('${')) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => unboundPaths(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) unboundPaths(v, `${path}.${k}`, out);
  }
  return out;
}
