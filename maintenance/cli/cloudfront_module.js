// A model of CloudFront Functions' `cloudfront` module (runtime cloudfront-js-2.0), for running the
// maintenance function on this machine in njs and Node. ES 5.1 plus `export default`, so that the same
// file is the module both engines import.
//
// The host sets, before each event:
//   globalThis.cloudfrontModel = {store: {key: value, ...} or null, selected: null}
// store null means the key value store cannot be read; selected receives the origin the function chose.
//
// CloudFront Developer Guide, "Helper methods for key value stores": the code begins
// `import cf from 'cloudfront'; const kvsHandle = cf.kvs();`; get("key", options) returns "a promise that
// resolves to a value in the format requested" (format string by default, or json, or bytes), and "will
// return an error when the key that you requested doesn't exist in the associated key value store".
// exists("key") resolves to true or false.
// "Helper methods for origin modification": origins change "on viewer request CloudFront Functions only";
// selectRequestOriginById(origin_id, {hostHeader: ...}) selects an origin already defined in the
// distribution (the parameters as issue 22 gives them). What a second call does is not known here: the
// model refuses it, so the function is held to one choice per event.

function model() {
  var current = globalThis.cloudfrontModel;
  if (!current) throw new Error("cloudfront model: the host did not set globalThis.cloudfrontModel");
  return current;
}

function read(key) {
  var store = model().store;
  if (store === null || store === undefined) throw new Error("KeyValueStore unreachable");
  if (!Object.prototype.hasOwnProperty.call(store, key)) throw new Error("KeyNotFound: " + key);
  return store[key];
}

function kvs() {
  return {
    get: function (key, options) {
      return new Promise(function (resolve) {
        var value = read(String(key));
        var format = options && options.format ? options.format : "string";
        if (format === "json") value = JSON.parse(value);
        else if (format !== "string") throw new Error("cloudfront model: format " + format + " is not modelled");
        resolve(value);
      });
    },
    exists: function (key) {
      return new Promise(function (resolve) {
        var store = model().store;
        if (store === null || store === undefined) throw new Error("KeyValueStore unreachable");
        resolve(Object.prototype.hasOwnProperty.call(store, String(key)));
      });
    }
  };
}

function selectRequestOriginById(id, params) {
  var current = model();
  if (typeof id !== "string" || id === "") throw new Error("selectRequestOriginById: the origin id must be a string");
  if (current.selected) throw new Error("selectRequestOriginById: an origin was already selected for this event");
  var copy = {};
  if (params) for (var name in params) if (Object.prototype.hasOwnProperty.call(params, name)) copy[name] = params[name];
  current.selected = { id: id, params: copy };
}

export default { kvs: kvs, selectRequestOriginById: selectRequestOriginById };
