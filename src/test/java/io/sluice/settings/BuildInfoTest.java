package io.sluice.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/** The version Sluice reports is the pom's, through the filtered resource: one source of the version. */
class BuildInfoTest {

  /** The project's own {@code <version>}, a direct child of {@code <project>} (not a dependency's). */
  private static String pomVersion() throws Exception {
    Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(Path.of("pom.xml").toFile()).getDocumentElement();
    for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals("version")) {
        return e.getTextContent().trim();
      }
    }
    throw new AssertionError("pom.xml has no project version");
  }

  @Test
  void version_is_the_pom_version() throws Exception {
    String version = pomVersion();
    assertFalse(version.isEmpty());
    assertEquals(version, BuildInfo.current().version());
  }

  @Test
  void resource_placeholders_are_all_filtered() {
    BuildInfo info = BuildInfo.current();
    for (String value : new String[] {info.version(), info.commit(), info.built()}) {
      assertFalse(value == null || value.isBlank() || value.contains("${"), info.toString());
    }
    assertEquals("sluice " + info.version() + " (commit " + info.commit() + ", built " + info.built() + ")",
        info.toString());
  }
}
