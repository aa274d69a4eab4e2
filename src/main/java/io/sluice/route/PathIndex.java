package io.sluice.route;

import io.sluice.config.PathPattern;
import io.vertx.core.MultiMap;
import io.vavr.collection.HashMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * The routes of one host: exact paths in a map, prefixes and templates in a segment trie, regexes in a list.
 * Built once, then read only; a patch ({@link #copy}) makes a new index that shares every node and list with
 * this one except those on the paths it changes (copy on write), so that changing one route costs its paths,
 * not the whole trie. The maps (exact paths, a node's children) are persistent hash maps: a copy shares them
 * whole and a change makes a new map in O(log n), so that a node with 10,000 children is not copied entry by
 * entry for each route changed under it.
 */
final class PathIndex {

  /**
   * A route reachable through one of its path patterns; {@code order} is the route's place in the
   * configuration (ties), kept here rather than in the route so that an unchanged route is reused as is.
   */
  record Entry(Route route, PathPattern pattern, int order) {}

  private HashMap<String, List<Entry>> exact;
  private Node root;
  private final List<Entry> regexes;
  /** While a copy is patched: the nodes and lists it made (its own to change); null when building or sealed. */
  private Set<Object> fresh;

  private static final class Node {
    HashMap<String, Node> children;
    Node param;
    final List<Entry> prefixes;
    final List<Entry> templates;

    Node() {
      children = HashMap.empty();
      prefixes = new ArrayList<>();
      templates = new ArrayList<>();
    }

    Node(Node from) {
      children = from.children;
      param = from.param;
      prefixes = new ArrayList<>(from.prefixes);
      templates = new ArrayList<>(from.templates);
    }

    boolean empty() {
      return children.isEmpty() && param == null && prefixes.isEmpty() && templates.isEmpty();
    }
  }

  PathIndex() {
    exact = HashMap.empty();
    root = new Node();
    regexes = new ArrayList<>();
  }

  private PathIndex(PathIndex from) {
    exact = from.exact;
    root = from.root;
    regexes = new ArrayList<>(from.regexes);
    fresh = Collections.newSetFromMap(new IdentityHashMap<>());
  }

  /** A copy to patch with {@link #add} and {@link #remove}, then {@link #seal}: this index is not changed. */
  PathIndex copy() {
    return new PathIndex(this);
  }

  /** Ends a patch: the copy is read only from now on (it is about to be published). */
  void seal() {
    fresh = null;
  }

  /** Whether no route is reachable through this index. */
  boolean isEmpty() {
    return exact.isEmpty() && regexes.isEmpty() && root.empty();
  }

  void add(Route route, PathPattern p, int order) {
    Entry e = new Entry(route, p, order);
    switch (p.kind()) {
      case EXACT -> {
        List<Entry> list = writable(exact.getOrElse(p.value(), null));
        list.add(e);
        exact = exact.put(p.value(), list);
      }
      case REGEX -> regexes.add(e);
      case PREFIX -> descend(p.segments(), false).prefixes.add(e);
      case TEMPLATE -> descend(p.segments(), true).templates.add(e);
    }
  }

  /** Takes out the entry of {@code route} through {@code p} (both by identity, as added); prunes emptied nodes. */
  void remove(Route route, PathPattern p) {
    switch (p.kind()) {
      case EXACT -> {
        List<Entry> list = exact.getOrElse(p.value(), null);
        if (list != null) {
          list = writable(list);
          list.removeIf(e -> e.route() == route && e.pattern() == p);
          if (list.isEmpty()) {
            exact = exact.remove(p.value());
          } else {
            exact = exact.put(p.value(), list);
          }
        }
      }
      case REGEX -> regexes.removeIf(e -> e.route() == route && e.pattern() == p);
      case PREFIX, TEMPLATE -> {
        Node n = removeFrom(root, p.segments(), 0, p.kind() == PathPattern.Kind.TEMPLATE, route, p);
        root = n == null ? fresh(new Node()) : n;
      }
    }
  }

  private Node removeFrom(Node n, String[] segments, int i, boolean template, Route route, PathPattern p) {
    if (n == null) {
      return null;
    }
    Node w = writable(n);
    if (i == segments.length) {
      (template ? w.templates : w.prefixes).removeIf(e -> e.route() == route && e.pattern() == p);
    } else if (template && segments[i].startsWith("{")) {
      w.param = removeFrom(w.param, segments, i + 1, template, route, p);
    } else {
      Node child = w.children.getOrElse(segments[i], null);
      if (child != null) {
        Node c = removeFrom(child, segments, i + 1, template, route, p);
        if (c == null) {
          w.children = w.children.remove(segments[i]);
        } else if (c != child) {
          w.children = w.children.put(segments[i], c);
        }
      }
    }
    return w.empty() ? null : w;
  }

  /** The node of {@code segments}, made (or, in a copy, copied on the way down) so that it can be changed. */
  private Node descend(String[] segments, boolean template) {
    Node n = root = writable(root);
    for (String s : segments) {
      Node child;
      if (template && s.startsWith("{")) {
        child = n.param = n.param == null ? fresh(new Node()) : writable(n.param);
      } else {
        Node c = n.children.getOrElse(s, null);
        child = c == null ? fresh(new Node()) : writable(c);
        if (child != c) {
          n.children = n.children.put(s, child);
        }
      }
      n = child;
    }
    return n;
  }

  /** {@code n} itself when this index may change it (building, or made by this patch), else a copy of it. */
  private Node writable(Node n) {
    return fresh == null || fresh.contains(n) ? n : fresh(new Node(n));
  }

  private List<Entry> writable(List<Entry> list) {
    if (list == null) {
      return fresh(new ArrayList<>());
    }
    return fresh == null || fresh.contains(list) ? list : fresh(new ArrayList<>(list));
  }

  private <T> T fresh(T made) {
    if (fresh != null) {
      fresh.add(made);
    }
    return made;
  }

  RouteMatch match(String method, String path, MultiMap headers) {
    Best best = new Best(method, headers);
    List<Entry> exacts = exact.getOrElse(path, null);
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
    Node child = node.children.isEmpty() ? null : node.children.getOrElse(path.substring(from, end), null);
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
