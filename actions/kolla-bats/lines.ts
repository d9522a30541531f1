/** Turns streamed output chunks into whole lines for a line-oriented logger. */
export function lineLogger(log: (line: string) => void): { write(text: string): void; flush(): void } {
  let pending = '';
  return {
    write(text) {
      pending += text.replace(/\r\n/g, '\n');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) log(line);
    },
    flush() {
      if (pending) log(pending);
      pending = '';
    },
  };
}
