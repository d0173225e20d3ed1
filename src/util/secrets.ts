// What is a secret: one rule for init, the inventory loader, the CIB writer
// and every error message. A value under a name that matches is never
// printed, logged or diffed.

/** Names of settings whose values are secrets (password, passwd, secret, key, token, SNMP community, IPMI's kg). */
export const SECRET_NAME = /pass|secret|key|token|community|(^|_)kg$/i;

export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);
