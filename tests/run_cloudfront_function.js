// Runs a CloudFront Function's code over CloudFront viewer-request events, as the edge would.
// stdin: {"code": "...", "events": [...], "now": epoch ms or null}; stdout: the handler's results.
"use strict";
const fs = require("fs");
const vm = require("vm");

const input = JSON.parse(fs.readFileSync(0, "utf8"));
const RealDate = Date;
const FixedDate = class extends RealDate {
  static now() { return input.now === null ? RealDate.now() : input.now; }
};
const context = vm.createContext({ Date: FixedDate, __events: input.events });
vm.runInContext(input.code + "\n;var __results = __events.map(function (e) { return handler(e); });", context);
process.stdout.write(JSON.stringify(context.__results));
