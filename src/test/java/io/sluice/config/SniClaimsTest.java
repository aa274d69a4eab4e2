package io.sluice.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Whether an SNI's certificate could be chosen for a route host's requests: SNI wildcards cover one label (as the
 * listener matches them), route wildcards any number (as the route table does), {@code *} every name.
 */
class SniClaimsTest {

  @Test
  void an_exact_name_serves_the_same_host_and_the_hosts_of_a_wildcard_route_above_it() {
    assertTrue(SniClaims.serves("shop.globex.test", "shop.globex.test"));
    assertTrue(SniClaims.serves("Shop.Globex.test", "shop.globex.TEST"), "names compare without case");
    assertTrue(SniClaims.serves("shop.globex.test", "*.globex.test"));
    assertTrue(SniClaims.serves("a.shop.globex.test", "*.globex.test"), "a route wildcard covers any labels");
    assertFalse(SniClaims.serves("globex.test", "*.globex.test"), "the wildcard's suffix itself is not under it");
    assertFalse(SniClaims.serves("shop.globex.test", "api.globex.test"));
    assertFalse(SniClaims.serves("xshop.globex.test", "shop.globex.test"));
  }

  @Test
  void a_wildcard_name_serves_one_label_in_front_of_its_suffix() {
    assertTrue(SniClaims.serves("*.globex.test", "shop.globex.test"));
    assertFalse(SniClaims.serves("*.globex.test", "a.shop.globex.test"), "one label only, as the listener matches");
    assertFalse(SniClaims.serves("*.globex.test", "globex.test"));
    assertFalse(SniClaims.serves("*.globex.test", "shopglobex.test"));
    assertTrue(SniClaims.serves("*.globex.test", "*.globex.test"));
    assertTrue(SniClaims.serves("*.shop.globex.test", "*.globex.test"), "x.shop.globex.test is under both");
    assertFalse(SniClaims.serves("*.globex.test", "*.shop.globex.test"), "one label never reaches two");
    assertFalse(SniClaims.serves("*.acme.test", "*.globex.test"));
  }

  @Test
  void the_default_name_serves_every_host() {
    assertTrue(SniClaims.serves("*", "shop.globex.test"));
    assertTrue(SniClaims.serves("*", "*.globex.test"));
  }
}
