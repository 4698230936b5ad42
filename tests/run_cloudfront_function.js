// Runs a CloudFront Function's code over CloudFront events, as the edge would, in Node or njs.
// The test writes one script: `var __input = {"events": [...], "now": ms or null};`, this
// file, the function's code, then `__finish(handler);`. Only ECMAScript 5.1 plus what njs
// and Node share is used here, so both engines run the very same script.
if (__input.now !== null) {
  // The fixed clock the function reads (it uses Date.now only).
  Date.now = function () { return __input.now; };
}

// njs's console.log cuts a line at 2048 bytes: the JSON goes out in lines of at most 500
// characters (2000 bytes at worst), which the reader joins again. A cut never splits a
// UTF-16 surrogate pair (Node's strings are UTF-16; njs's hold whole code points).
function __finish(handler) {
  var results = [];
  for (var i = 0; i < __input.events.length; i++) results.push(handler(__input.events[i]));
  var text = JSON.stringify(results);
  var start = 0;
  while (start < text.length) {
    var end = Math.min(start + 500, text.length);
    var last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    console.log(text.slice(start, end));
    start = end;
  }
}
