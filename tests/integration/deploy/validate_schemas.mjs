// Offline schema validation of rendered Kubernetes objects with the npm kubernetes-models packages
// (ajv validators compiled from the Kubernetes OpenAPI schemas and the prometheus-operator CRDs).
// Checks types, required fields, enums and formats of every object; an object of a kind without a
// model is an error. Unknown fields are NOT rejected by these models.
// Usage: node validate_schemas.mjs OBJECTS.json   (a JSON array of objects)
import { readFileSync } from "node:fs";

const file = process.argv[2];
if (!file) {
  console.error("usage: node validate_schemas.mjs OBJECTS.json");
  process.exit(2);
}
const objects = JSON.parse(readFileSync(file, "utf8"));

function modulePath(apiVersion, kind) {
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  }
  return `kubernetes-models/${apiVersion}/${kind}`;
}

let failures = 0;
for (const object of objects) {
  const name = `${object.kind}/${object.metadata?.name ?? "?"}`;
  let Model;
  try {
    Model = (await import(modulePath(object.apiVersion, object.kind)))[object.kind];
  } catch (error) {
    console.error(`FAIL ${name}: no schema for ${object.apiVersion} ${object.kind} (${error.code ?? error.message})`);
    failures++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok   ${name} (${object.apiVersion})`);
  } catch (error) {
    console.error(`FAIL ${name}: ${error.message}`);
    failures++;
  }
}
console.log(`${objects.length - failures} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
