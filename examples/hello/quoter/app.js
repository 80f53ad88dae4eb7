// The quoter of the hello example (world `quoter-service`), in JavaScript: puts a greeting in
// typographic quotation marks and has the Rust signer sign it.
//
// componentize-js runs this module's top level when it builds the component: keep it free of
// what should happen when the service runs.
import { context, log } from "parigot";
import { sign } from "example:hello/signer@0.1.0";

// The quoter's entry in a trail.
const HOP = "quoter (javascript)";

export const quoter = {
  quote(text) {
    const ctx = context.current();
    log.info("quoting", {
      greeted: ctx.baggageValue("greeted") ?? "",
      characters: [...text].length,
      span: ctx.spanId,
      parent: ctx.parentSpanId ?? "",
    });
    const signed = sign(`“${text}”`);
    return { text: signed.text, trail: [HOP, ...signed.trail] };
  },
};
