/**
 * POSIX sh functions shared by the generated scripts (the Prometheus entrypoints, the web-config
 * service's render.sh, VictoriaMetrics' auth.sh), so each rule is written once and every script that
 * needs it gets the same text.
 */

/** `fail MESSAGE...`: MESSAGE on stderr, prefixed with the script's name, and exit 1. */
export function failFunction(prefix: string): string {
  return `fail() {
  echo "${prefix}: $*" >&2
  exit 1
}`;
}

/** `yaml_quote VALUE`: prints VALUE as a YAML double-quoted scalar. */
export const YAML_QUOTE_FUNCTION = `yaml_quote() { # a YAML double-quoted scalar
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\\\/\\\\\\\\/g' -e 's/"/\\\\"/g')"
}`;

/**
 * The rules of the basic-auth passwords the stacks read from secret files (the web passwords, the
 * long-term store's): observability/secrets/README.md states them for the operator.
 */
export const PASSWORD_RULES = {
  minLength: 16,
  /**
   * Allowed besides letters and digits (`-` last: it goes into a bracket expression). Grafana expands `$`
   * in provisioned values; with these, YAML and URLs need no quoting.
   */
  symbols: '._~+/=-',
} as const;

export interface PasswordLimit {
  /** Longest password accepted, e.g. 72 where it is hashed with bcrypt (which ignores the rest). */
  maxLength: number;
  /** Why, for the message: `bcrypt`. */
  reason: string;
}

/**
 * `read_password FILE WHAT`: sets `password` to the one line of FILE, or fails (the script's `fail`, see
 * `failFunction`) on a missing or unreadable file, more than one line, other characters than
 * letters, digits and PASSWORD_RULES.symbols or fewer than PASSWORD_RULES.minLength (and, with `limit`, more than its
 * maxLength). The messages name FILE and WHAT ("the prometheus password"), never the content.
 */
export function readPasswordFunction(limit?: PasswordLimit): string {
  const { minLength, symbols } = PASSWORD_RULES;
  return `# read_password <file> <what>: the one line of <file> into $password, or fail naming the file, never the content.
read_password() {
  [ -f "$1" ] && [ -r "$1" ] || fail "$1 is missing or unreadable (observability/secrets/README.md)"
  [ "$(wc -l <"$1")" -le 1 ] || fail "$1 must hold one line"
  password=$(cat "$1")
  # Letters, digits and ${symbols} only: Grafana expands $ in provisioned values, YAML and URLs need no quoting.
  case $password in
  *[!A-Za-z0-9${symbols}]*) fail "$1: $2 may hold only letters, digits and ${symbols}" ;;
  esac
  [ \${#password} -ge ${minLength} ] || fail "$1: $2 must have at least ${minLength} characters"${
    limit
      ? `
  [ \${#password} -le ${limit.maxLength} ] || fail "$1: $2 must have at most ${limit.maxLength} characters (${limit.reason})"`
      : ''
  }
}`;
}
