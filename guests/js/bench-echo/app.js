// Benchmark callee in JavaScript (world `echo-service`): as little work as the interface allows.
export const echo = {
  describe(p) {
    return `${p.label} (${p.x}, ${p.y})`;
  },
  echoText(text) {
    return text;
  },
};
