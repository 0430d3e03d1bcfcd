// The hostile suite's tables of awkward values, by kind: strings (each group with a weight and a
// label), number literals, prototype key spellings, invalid UTF-8 sequences, and texts that are no
// JSON. hostile.ts combines them into values and bodies.

/** String groups: [weight, label, values]. Long strings are made by hostile.ts (their size depends on the field). */
// biome-ignore format: a table reads best one group a line
export const STRING_GROUPS: readonly (readonly [number, string, readonly string[]])[] = [
  [3, "lone high surrogate", ["\ud800", "a\ud83d", "\udbff\u0041", "\ud800\ud800"]],
  [3, "lone low surrogate", ["\udfff", "\udc00\ud800", "x\ude00"]],
  [2, "NUL", ["\u0000", "a\u0000b", "\u0000".repeat(64)]],
  [2, "bidi controls", ["\u202eevil\u202c", "\u2066x\u2069", "ad\u200emin", "\u061c", "\u202e"]],
  [2, "zero-width", ["\u200b", "\u200b\u200c\u200d\ufeff", "a\u2060b", "\u3164\u2800", "\ufe0f"]],
  [2, "combining marks", ["e\u0301", `e${"\u0301".repeat(50)}`, `e${"\u0301".repeat(1000)}`]],
  [1, "emoji", ["👍", "👨‍👩‍👧‍👦", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "❤️", "🇫🇷", "\u{10ffff}", ":smile:"]],
  [1, "noncharacters", ["\uffff", "\ufffe", "\ufdd0", "\u{1fffe}"]],
  [1, "line breaks", ["\u2028\u2029", "a\r\nb", "\n", "\t", "\r"]],
  [1, "empty or blank", ["", " ", "   \n", "\u00a0"]],
  [1, "injection-shaped", ["' OR 1=1 --", "<script>x</script>", "$" + "{jndi:x}", "../../etc/passwd", '"}', "\\", "%00", "%ZZ"]],
  [1, "prototype names", ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"]],
  [1, "number-shaped", ["NaN", "Infinity", "-0", "1e309", "0x10", "9007199254740993", "１", " 1"]],
  [1, "uuid-shaped", ["00000000-0000-0000-0000-000000000000", "FFFFFFFF-FFFF-4FFF-8FFF-FFFFFFFFFFFF", "01234567-89ab-7def-8123-456789abcdef\n", "{01234567-89ab-4def-8123-456789abcdef}", "01234567-89ab-4def-8123-456789abcdeg"]],
  [1, "date-shaped", ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "2030-12-31T23:59:60Z", "2030-01-01T00:00:00+0200", "2030-01-01 00:00:00Z", "2030-02-30T00:00:00Z", "2030-01-01T00:00:00.123456789Z", "+275760-09-13T00:00:00Z", "1970-01-01T00:00:00Z"]],
];

/** What long strings are made of. */
export const LONG_UNITS = ["x", "é", "😀", " ", "\u200b", "\u0301"];
export const LONG_COUNTS = [129, 257, 1025, 4097, 65_537, 100_001, 300_000];

/** Number literals at the edges, as JSON text. */
// biome-ignore format: a table
export const NUMBERS = [
  "0", "-0", "-1", "1.5", "1e2", "1e309", "-1e309", "1e-400", "2147483648", "4294967296", "9007199254740993",
  "123456789012345678901234567890", "100001", "0.1", "1E+2", "-0.0", "1".repeat(400), "1.0", "5e-324",
];

/** Keys (JSON text) that are or spell a prototype name. */
// biome-ignore format: a table
export const PROTO_KEYS = [
  '"__proto__"', '"\\u005f_proto__"', '"__pr\\u006fto__"', '"\\u005f\\u005f\\u0070\\u0072\\u006f\\u0074\\u006f\\u005f\\u005f"',
  '"constructor"', '"prototype"', '"constr\\u0075ctor"',
];

/** Escaped JSON strings, and whether they are well-formed once parsed. */
// biome-ignore format: a table
export const ESCAPED_STRINGS: readonly (readonly [string, boolean])[] = [
  ['"\\u0000"', true], ['"\\ud800\\ud800"', false], ['"\\uD83D\\uDE00"', true], ['"\\/"', true], ['"\\b\\f\\n\\r\\t"', true],
  ['"\\uDE00\\uD83D"', false],
];

/** Byte sequences no UTF-8 encoder writes. */
// biome-ignore format: a table
export const INVALID_UTF8 = [[0xff], [0xfe], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf0, 0x9f, 0x98]];

/** Texts JSON.parse refuses. */
// biome-ignore format: a table
export const NOT_JSON = [
  "{", "}", "[", '{"a":}', "{'a':1}", "{a:1}", "[1,]", '{"a":1,}', "// c\n{}", "/* c */{}", "NaN", "Infinity", "undefined",
  "\ufeff{}", "{}x", "{} {}", '{"a":"\n"}', '{"a":"\\x41"}', '{"a":01}', '{"a":.5}', '{"a":+1}', '{"a":1e}', '{"a":-}',
  '{"a":"\\u12"}', '{"a" 1}', "\u0000", '"\\ud800', "tru", "nul", '{"a":1}}', "[[[[", "]]]]",
];

/** JSON that no chatd body or frame is: scalars and arrays (and `{}`, which a route without a body takes). */
export const JSON_SCALARS = ["null", "true", "0", '"x"', "[]", "[{}]", '""', "-0", "1e309", "{}"];
