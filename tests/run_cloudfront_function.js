// Runs a CloudFront Function's code over CloudFront events, as the edge would, in Node or njs.
// The test writes one script: `var __input = {"events": [...], "now": ms or null, "store": {...} or null};`,
// this file, the function's code, then `__finish(handler);`. Only ECMAScript 5.1 plus what njs
// and Node share is used here, so both engines run the very same script. The live variant is an ES
// module importing `cloudfront` (maintenance/cli/cloudfront_module.js): before each event, its model
// gets the run's store (null: the store cannot be read) and no selected origin.
if (__input.now !== null) {
  // The fixed clock the function reads (it uses Date.now only).
  Date.now = function () { return __input.now; };
}

// njs's console.log cuts a line at 2048 bytes: the JSON goes out in lines of at most 500
// characters (2000 bytes at worst), which the reader joins again. A cut never splits a
// UTF-16 surrogate pair (Node's strings are UTF-16; njs's hold whole code points).
function __print(text) {
  var start = 0;
  while (start < text.length) {
    var end = Math.min(start + 500, text.length);
    var last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    console.log(text.slice(start, end));
    start = end;
  }
}

// One event after the other, each awaited (an async handler returns a promise; a plain result passes
// through Promise.resolve as it is): the results, and the origin each event selected.
function __finish(handler) {
  var results = [], selected = [];
  function next(i) {
    if (i === __input.events.length) {
      __print(JSON.stringify({ results: results, selected: selected }));
      return;
    }
    var model = globalThis.cloudfrontModel = { store: __input.store, selected: null };
    Promise.resolve(handler(__input.events[i])).then(function (result) {
      results.push(result);
      selected.push(model.selected);
      next(i + 1);
    }).catch(function (error) {
      __print(JSON.stringify({ error: String(error) }));
    });
  }
  next(0);
}
