package io.sluice.route;

import io.sluice.config.PathPattern;
import io.vertx.core.MultiMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/** The routes of one host: exact paths in a map, prefixes and templates in a segment trie, regexes in a list. */
final class PathIndex {

  /**
   * A route reachable through one of its path patterns; {@code order} is the route's place in the
   * configuration (ties), kept here rather than in the route so that an unchanged route is reused as is.
   */
  record Entry(Route route, PathPattern pattern, int order) {}

  private final Map<String, List<Entry>> exact = new HashMap<>();
  private final Node root = new Node();
  private final List<Entry> regexes = new ArrayList<>();

  private static final class Node {
    final Map<String, Node> children = new HashMap<>();
    Node param;
    final List<Entry> prefixes = new ArrayList<>();
    final List<Entry> templates = new ArrayList<>();
  }

  void add(Route route, PathPattern p, int order) {
    Entry e = new Entry(route, p, order);
    switch (p.kind()) {
      case EXACT -> exact.computeIfAbsent(p.value(), k -> new ArrayList<>()).add(e);
      case REGEX -> regexes.add(e);
      case PREFIX -> descend(p.segments(), false).prefixes.add(e);
      case TEMPLATE -> descend(p.segments(), true).templates.add(e);
    }
  }

  private Node descend(String[] segments, boolean template) {
    Node n = root;
    for (String s : segments) {
      if (template && s.startsWith("{")) {
        n = n.param == null ? (n.param = new Node()) : n.param;
      } else {
        n = n.children.computeIfAbsent(s, k -> new Node());
      }
    }
    return n;
  }

  RouteMatch match(String method, String path, MultiMap headers) {
    Best best = new Best(method, headers);
    List<Entry> exacts = exact.get(path);
    if (exacts != null) {
      for (Entry e : exacts) {
        best.offer(e, path.length());
      }
    }
    walk(root, path, 1, best);
    for (Entry e : regexes) {
      if (e.route().priority() < best.priority()) {
        continue;
      }
      Matcher m = e.pattern().regex().matcher(path);
      if (m.lookingAt()) {
        best.offer(e, m.end());
      }
    }
    return best.result();
  }

  /** Walks the segments from {@code from}; prefixes match on the way, templates only at the end. */
  private static void walk(Node node, String path, int from, Best best) {
    for (Entry e : node.prefixes) {
      best.offer(e, e.pattern().value().equals("/") ? 0 : from - 1);
    }
    if (from > path.length()) {
      for (Entry e : node.templates) {
        best.offer(e, path.length());
      }
      return;
    }
    int end = path.indexOf('/', from);
    if (end < 0) {
      end = path.length();
    }
    Node child = node.children.isEmpty() ? null : node.children.get(path.substring(from, end));
    if (child != null) {
      walk(child, path, end + 1, best);
    }
    if (node.param != null && end > from) {
      walk(node.param, path, end + 1, best);
    }
  }

  /** The best candidate so far, by priority, kind, specificity and declaration order. */
  private static final class Best {
    private final String method;
    private final MultiMap headers;
    private Entry entry;
    private int matched;

    Best(String method, MultiMap headers) {
      this.method = method;
      this.headers = headers;
    }

    int priority() {
      return entry == null ? Integer.MIN_VALUE : entry.route().priority();
    }

    void offer(Entry e, int matchedLength) {
      if ((entry == null || better(e, entry)) && e.route().accepts(method, headers)) {
        entry = e;
        matched = matchedLength;
      }
    }

    private static boolean better(Entry a, Entry b) {
      int c = Integer.compare(a.route().priority(), b.route().priority());
      if (c != 0) {
        return c > 0;
      }
      c = a.pattern().kind().compareTo(b.pattern().kind());
      if (c != 0) {
        return c < 0;
      }
      c = Integer.compare(a.pattern().specificity(), b.pattern().specificity());
      if (c != 0) {
        return c > 0;
      }
      return a.order() < b.order();
    }

    RouteMatch result() {
      return entry == null ? null : new RouteMatch(entry.route(), entry.pattern().kind(), matched);
    }
  }
}
