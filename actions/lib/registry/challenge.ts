/**
 * `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="https://auth.example/token",
 * service="registry.example",scope="repository:a/b:pull"` or `Basic realm="test"`. One header may
 * carry several challenges separated by commas, and quoted values may contain commas.
 */
export interface Challenge {
  /** Lower-case scheme: `basic`, `bearer`, … */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  return headers.flatMap(parseOne);
}

function parseOne(text: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < text.length && /[!#$%&'*+.^_`|~0-9A-Za-z-/]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  while (i < text.length) {
    skipSpace();
    const scheme = readToken();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    // auth-params: name=value pairs until the next bare token (the next scheme)
    for (;;) {
      while (i < text.length && /[\s,]/.test(text[i])) i++;
      const mark = i;
      const name = readToken();
      while (i < text.length && text[i] === ' ') i++;
      if (!name || text[i] !== '=') {
        i = mark;
        break;
      }
      i++; // '='
      while (i < text.length && text[i] === ' ') i++;
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i++];
        }
        i++; // closing quote
      } else {
        value = readToken();
      }
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return challenges;
}
