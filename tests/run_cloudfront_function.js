// Runs a CloudFront Function's code over CloudFront events, as the edge would, in Node or njs.
// The test writes one script: `var __input = {"events": [...], "now": ms or null};`, this
// file, the function's code, then `__finish(handler);`. Only ECMAScript 5.1 plus what njs
// and Node share is used here, so both engines run the very same script.
if (__input.now !== null) {
  // The fixed clock the function reads (it uses Date.now only).
  Date.now = function () { return __input.now; };
}

function __finish(handler) {
  var results = [];
  for (var i = 0; i < __input.events.length; i++) results.push(handler(__input.events[i]));
  console.log(JSON.stringify(results));
}
