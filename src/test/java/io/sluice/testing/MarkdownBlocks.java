package io.sluice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fenced code blocks of a Markdown file (CommonMark fences of backticks or tildes, indented or not), each
 * with the line its opening fence is on, its language and the words after the language (flags such as
 * {@code no-test}), so that a test can run or check what the documentation shows.
 */
public final class MarkdownBlocks {

  private static final Pattern OPEN = Pattern.compile("^( {0,3}|\\s*)(`{3,}|~{3,})\\s*([^\\s`]*)\\s*(.*)$");

  private MarkdownBlocks() {}

  /** One fenced block: where it starts (1-based line of the opening fence), its language, flags and text. */
  public record Block(Path file, int line, String language, List<String> flags, String text) {

    public boolean has(String flag) {
      return flags.contains(flag);
    }

    /** {@code README.md:42}, relative to {@code root}. */
    public String where(Path root) {
      return root.relativize(file.toAbsolutePath()) + ":" + line;
    }
  }

  public static List<Block> of(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      Matcher open = OPEN.matcher(lines.get(i));
      if (!open.matches()) {
        continue;
      }
      int indent = open.group(1).length();
      String fence = open.group(2);
      Pattern close = Pattern.compile("^\\s*" + Pattern.quote(fence.substring(0, 1)) + "{" + fence.length() + ",}\\s*$");
      int start = i;
      StringBuilder text = new StringBuilder();
      for (i = i + 1; i < lines.size() && !close.matcher(lines.get(i)).matches(); i++) {
        String line = lines.get(i);
        int strip = 0;
        while (strip < indent && strip < line.length() && line.charAt(strip) == ' ') {
          strip++;
        }
        text.append(line.substring(strip)).append('\n');
      }
      if (i >= lines.size()) {
        throw new IllegalStateException(file + ":" + (start + 1) + ": the fence opened here is never closed");
      }
      String rest = open.group(4).trim();
      List<String> flags = rest.isEmpty() ? List.of() : Arrays.asList(rest.split("\\s+"));
      blocks.add(new Block(file, start + 1, open.group(3), flags, text.toString()));
    }
    return blocks;
  }
}
