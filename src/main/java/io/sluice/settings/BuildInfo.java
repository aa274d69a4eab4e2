package io.sluice.settings;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The one version of Sluice, read from the resource Maven filters from the pom: there is no second source. */
public record BuildInfo(String version, String commit, String built) {

  private static final BuildInfo CURRENT = load();

  public static BuildInfo current() {
    return CURRENT;
  }

  private static BuildInfo load() {
    try (InputStream in = BuildInfo.class.getResourceAsStream("/sluice-version.properties")) {
      if (in == null) {
        throw new IllegalStateException("sluice-version.properties missing from the classpath");
      }
      Properties p = new Properties();
      p.load(in);
      return new BuildInfo(p.getProperty("version"), p.getProperty("commit"), p.getProperty("built"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "sluice " + version + " (commit " + commit + ", built " + built + ")";
  }
}
