package io.sluice.settings;

import java.util.List;

/** Node settings that cannot start a node: each problem names the key and the reason. */
public final class SettingsException extends RuntimeException {

  private final List<String> problems;

  public SettingsException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
