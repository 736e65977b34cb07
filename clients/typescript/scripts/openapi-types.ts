/**
 * The client's types, generated from the API's OpenAPI document (docs/api/openapi.json,
 * itself generated from lambdas/router/contract.py), so the two cannot drift apart.
 *
 *   node scripts/openapi-types.ts write   # regenerate src/generated/openapi.ts
 *   node scripts/openapi-types.ts check   # exit 1 if the committed file is not a fresh generation
 *
 * Both modes go through `generate()`, so the check compares against exactly what `write` writes.
 */
import { readFile, writeFile } from "node:fs/promises";
import openapiTS, { astToString } from "openapi-typescript";

const DOCUMENT = new URL("../../../docs/api/openapi.json", import.meta.url);
const TARGET = new URL("../src/generated/openapi.ts", import.meta.url);
const HEADER = `/**
 * Generated from docs/api/openapi.json by scripts/openapi-types.ts; do not edit.
 * Regenerate with \`npm run generate\` after the OpenAPI document changes.
 */

`;

export async function generate(): Promise<string> {
  const ast = await openapiTS(DOCUMENT, { silent: true, alphabetize: true });
  return HEADER + astToString(ast);
}

async function main(mode: string | undefined): Promise<number> {
  const fresh = await generate();
  if (mode === "write") {
    await writeFile(TARGET, fresh);
    return 0;
  }
  if (mode === "check") {
    const committed = await readFile(TARGET, "utf8").catch(() => "");
    if (committed === fresh) return 0;
    console.error(
      "src/generated/openapi.ts differs from a fresh generation of docs/api/openapi.json: run `npm run generate` in clients/typescript and commit the result",
    );
    return 1;
  }
  console.error("usage: node scripts/openapi-types.ts write|check");
  return 2;
}

process.exitCode = await main(process.argv[2]);
