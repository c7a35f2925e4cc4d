export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** `scheme://user:secret@host` → `scheme://user:***@host` anywhere in a text. */
export function redactUrlPasswords(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)[^@\s/]*@/g, '$1***@');
}

/**
 * JSON lines on stdout: {time, level, service, msg, …fields}. Passwords inside URLs are
 * replaced in every line, so a connection string in an error message never reaches the log.
 */
export function jsonLogger(service: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const emit = (level: string) => (msg: string, fields: Record<string, unknown> = {}) =>
    write(`${redactUrlPasswords(JSON.stringify({ time: new Date().toISOString(), level, service, msg, ...fields }))}\n`);
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Env for logging: values of keys that look secret, and passwords inside URLs, are replaced. */
export function redactEnv(env: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (/PASSWORD|SECRET|TOKEN|KEY/i.test(key)) out[key] = '***';
    else if (typeof value === 'string') out[key] = redactUrlPasswords(value);
    else out[key] = value;
  }
  return out;
}
