// A model of CloudFront Functions' `cloudfront` module (runtime cloudfront-js-2.0), for running the
// maintenance function on this machine in njs and Node. ES 5.1 plus `export default`, so that the same
// file is the module both engines import.
//
// The host sets, before each event:
//   globalThis.cloudfrontModel = {store: {key: value, ...}, null or false, selected: null}
// store null means the key value store cannot be read (get() fails); false, that the function has no
// store associated (cf.kvs() itself fails); selected receives the origin the function chose.
//
// CloudFront Developer Guide, "Helper methods for key value stores": `const kvsHandle = cf.kvs();`, then
// get("key", options) returns "a promise that resolves to a value in the format requested" (format string by
// default, or json, or bytes), and "will return an error when the key that you requested doesn't exist in
// the associated key value store". exists("key") resolves to true or false.
// "Helper methods for origin modification": origins change "on viewer request CloudFront Functions only";
// selectRequestOriginById(origin_id, {origin_overrides}) selects an origin already defined in the
// distribution, and origin_overrides can hold hostHeader, sni and allowedCertificateNames; hostHeader and
// sni "can't include a colon (:) and can't be an IP address", and "can be up to 253 characters". The model
// refuses any other override, or such a name. What a second call does is not documented: the model refuses
// it, so the function is held to one choice per event.

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
  if (model().store === false) throw new Error("no key value store is associated with the function");
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
  if (params) for (var name in params) if (Object.prototype.hasOwnProperty.call(params, name)) {
    if (OVERRIDES.indexOf(name) < 0) throw new Error("selectRequestOriginById: " + name + " is no origin override");
    if (name !== "allowedCertificateNames") checkHostName(name, params[name]);
    copy[name] = params[name];
  }
  current.selected = { id: id, params: copy };
}

var OVERRIDES = ["hostHeader", "sni", "allowedCertificateNames"];

function checkHostName(name, value) {
  if (typeof value !== "string" || value === "" || value.length > 253 || value.indexOf(":") >= 0 ||
      /^[0-9.]+$/.test(value)) {
    throw new Error("selectRequestOriginById: " + name + " must be a host name of at most 253 characters, not " + value);
  }
}

export default { kvs: kvs, selectRequestOriginById: selectRequestOriginById };
