package io.sluice.cli;

/**
 * Text from the node (a stored row's name, a field's reason) made safe to print to a terminal: a control character
 * (C0, DEL, C1), a line or paragraph separator, or a bidirectional override is written as a JSON string would
 * escape it ({@code \u001b}, {@code \r}, {@code \n}, {@code \t}). Printed raw, an ESC sequence written with psql
 * would recolour or rewrite the operator's terminal, and a CR LF would split one error line into two, the second
 * of the row's choosing.
 */
final class TerminalText {

  private TerminalText() {}

  /** {@code text} with every character a terminal would act on escaped; the same instance when there is none. */
  static String safe(String text) {
    if (text == null || text.chars().noneMatch(TerminalText::acted)) {
      return text;
    }
    StringBuilder b = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (acted(c)) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  private static boolean acted(int c) {
    return c < 0x20 || c >= 0x7f && c <= 0x9f || c == 0x2028 || c == 0x2029 || c >= 0x202a && c <= 0x202e
        || c >= 0x2066 && c <= 0x2069;
  }
}
