/**
 * Which environment variables are secrets: what a sandboxed command (a session's Bash, the merge queue's
 * check) never gets. One word of a variable's name (split at `_`) makes it one: ANTHROPIC_API_KEY,
 * GH_TOKEN, DB_PASSWORD.
 */
const SECRET_WORD =
  /^(?:KEY|KEYS|APIKEY|TOKEN|TOKENS|SECRET|SECRETS|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|CREDENTIALS|AUTH|COOKIE|PAT)$/i;

export function isSecretVariable(name: string): boolean {
  return name.split('_').some((w) => SECRET_WORD.test(w));
}

/** The names of the secret variables in an environment. */
export function secretVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((k) => env[k] !== undefined && isSecretVariable(k))
    .sort();
}

/** An environment without its secret variables. */
export function withoutSecrets(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k, v]) => v !== undefined && !isSecretVariable(k)));
}
