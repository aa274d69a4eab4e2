package io.sluice.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The rules of a file's certificates a schema cannot say: names unique, each SNI answered by one certificate
 * only, none an IP literal, and each certificate's key given one way (a new {@code key}, or the stored one by {@code key_ref}).
 */
final class CertificateChecks {

  private CertificateChecks() {}

  static List<FieldError> check(List<CertificateEntry> certificates) {
    List<FieldError> errors = new ArrayList<>();
    Set<String> names = new HashSet<>();
    Set<String> snis = new HashSet<>();
    for (int i = 0; i < certificates.size(); i++) {
      CertificateEntry c = certificates.get(i);
      if (c == null || c.name() == null || c.snis() == null) {
        continue; // the schema refused it
      }
      String at = "certificates[" + i + "].";
      if (!names.add(c.name())) {
        errors.add(new FieldError(at + "name", "duplicate certificate name '" + c.name() + "'"));
      }
      if ((c.key() == null) == (c.keyRef() == null)) {
        errors.add(new FieldError(at + "key", "needs exactly one of key (a new PEM private key) or key_ref (the"
            + " stored one)"));
      }
      for (int j = 0; j < c.snis().size(); j++) {
        String ipLiteral = ServerNames.problem(c.snis().get(j));
        if (ipLiteral != null) {
          errors.add(new FieldError(at + "snis[" + j + "]", ipLiteral));
        } else if (!snis.add(c.snis().get(j))) {
          errors.add(new FieldError(at + "snis[" + j + "]", "server name '" + c.snis().get(j)
              + "' answered by another certificate of the file"));
        }
      }
    }
    return errors;
  }
}
