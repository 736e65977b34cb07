/** What the pytest driver (tests/e2e/test_e2e_typescript_client.py) hands the e2e tests. */
export function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: these tests run against the local system, from tests/e2e/test_e2e_typescript_client.py`);
  }
  return value;
}
