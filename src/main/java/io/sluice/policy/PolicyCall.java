package io.sluice.policy;

import io.sluice.credential.Consumer;
import io.sluice.util.Hosts;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.util.ArrayList;
import java.util.List;

/**
 * One request as the policies see it: the request, the route's name, the consumer once authenticated, and
 * the edits policies ask for on the way up (headers, query) and on the way back (response headers). The
 * proxy's per-request object extends it (so one object per request carries what the policies, the
 * forwarder and the access record read); confined to the request's event loop.
 */
public class PolicyCall {

  private final HttpServerRequest request;
  private final String requestId;
  private final String path;
  private final String routeName;
  private String tenant;
  private Consumer consumer;
  private String credentialId;
  private String clientCertSubject;
  private String query;
  private boolean queryEdited;
  private List<HeaderEdit> upstreamEdits;
  /**
   * Headers every answer carries, as name, value, name, value... (a name at most once; null until the first):
   * a flat array rather than a map, since a policy sets two or three and the response phase only walks them.
   */
  private CharSequence[] responseHeaders;
  private int responseHeaderCount;
  private long maxBodyBytes = -1;
  private BodyCaptor captor;
  /**
   * Policies whose response phase runs, in chain order (run in reverse): those whose request phase ran and,
   * when one answered or refused, those after it; made on first use.
   */
  private List<Policy> responders;

  /** A change of the upstream request's headers: the header set to {@code values} (its lines in order; none: removed). */
  private record HeaderEdit(String name, List<String> values) {}

  protected PolicyCall(HttpServerRequest request, String requestId, String path, String routeName) {
    this.request = request;
    this.requestId = requestId;
    this.path = path;
    this.routeName = routeName;
  }

  public HttpServerRequest request() { return request; }

  /** This request's trace, or null while tracing is off (the proxy's request object says). */
  public io.sluice.tracing.RequestTrace trace() { return null; }

  /**
   * Traces a policy's call to a store: {@code call} is made, and when the request is traced a span named
   * {@code name} ({@code system}: redis, postgresql), child of the request's span, covers it until it completes.
   */
  public <T> io.vertx.core.Future<T> traced(String name, String system,
                                            java.util.function.Supplier<io.vertx.core.Future<T>> call) {
    io.sluice.tracing.RequestTrace trace = trace();
    if (trace == null || !trace.recording()) {
      return call.get();
    }
    io.sluice.tracing.RequestTrace.StoreCall span = trace.storeCall(name, system);
    return call.get().andThen(ar -> span.end(ar.cause()));
  }

  public String requestId() { return requestId; }

  /** The normalized request path (what the route matched). */
  public String path() { return path; }

  /** The name of the route the request matched. */
  public String routeName() { return routeName; }

  /**
   * The host the request named (Host or {@code :authority}) as its route was matched on it: lower case, without port
   * or trailing dot ({@link Hosts#canonical}); null when it named none.
   */
  public String host() {
    HostAndPort authority = request.authority();
    return authority == null ? null : Hosts.canonical(authority.host());
  }

  /** Whether the client came over TLS (https). The proxy's request object knows it from its listener. */
  public boolean secure() { return request.isSSL(); }

  /**
   * The name of the tenant owning the matched route (its service's tenant): set by the route's policy chain
   * before its first policy runs. Authentication accepts only consumers of this tenant.
   */
  public String tenant() { return tenant; }

  void tenant(String tenant) {
    this.tenant = tenant;
  }

  /** The authenticated consumer, or null: set by the authentication policies, read by later ones. */
  public Consumer consumer() { return consumer; }

  /** The credential that authenticated the consumer (for the access record), or null. */
  public String credentialId() { return credentialId; }

  /** The subject of the client certificate the mtls policy verified, or null. */
  public String clientCertSubject() { return clientCertSubject; }

  public void clientCertSubject(String subject) {
    this.clientCertSubject = subject;
  }

  public void authenticate(Consumer consumer, String credentialId) {
    this.consumer = consumer;
    this.credentialId = credentialId;
  }

  /** The query string sent upstream (null: none). */
  public String query() {
    return queryEdited ? query : request.query();
  }

  public boolean queryEdited() { return queryEdited; }

  public void query(String query) {
    this.query = query == null || query.isEmpty() ? null : query;
    this.queryEdited = true;
  }

  /** Something that wants the answer's head and body as they stream to the client (proxy-cache). */
  public interface BodyCaptor {
    /**
     * Called with the upstream answer's head (before the response phase); null: not interested. {@code reason}: its
     * reason phrase (null: none).
     */
    Capture start(int status, String reason, MultiMap headers);
  }

  /** The body of one answer, chunk by chunk, then its end (never called for a broken answer). */
  public interface Capture {
    void chunk(io.vertx.core.buffer.Buffer chunk);

    /** The answer reached the client whole; {@code trailers}: those it ended with (empty: none). */
    void end(MultiMap trailers);
  }

  public void captor(BodyCaptor captor) {
    this.captor = captor;
  }

  /** The capture of the upstream answer, or null. */
  public Capture capture(int status, String reason, MultiMap headers) {
    return captor == null ? null : captor.start(status, reason, headers);
  }

  /**
   * Whether a body follows the request's head. HTTP/1.1 says so in its head (a Content-Length above 0, or
   * Transfer-Encoding); HTTP/2 has no Transfer-Encoding: there a body of unknown length is a stream not ended
   * with its headers, which the proxy's request object knows from the connection.
   */
  public boolean hasBody() {
    String cl = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    return cl != null ? !"0".equals(cl.trim())
        : request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
  }

  /** The largest request body this request may stream upstream (-1: the node's limit). */
  public long maxBodyBytes() { return maxBodyBytes; }

  public void maxBodyBytes(long limit) {
    this.maxBodyBytes = limit;
  }

  /** The upstream request will not carry this header. */
  public void removeUpstreamHeader(String name) {
    edit(new HeaderEdit(name, List.of()));
  }

  /** The upstream request carries exactly this value for the header. */
  public void setUpstreamHeader(String name, String value) {
    edit(new HeaderEdit(name, value == null ? List.of() : List.of(value)));
  }

  /** The upstream request carries exactly these field lines for the header, in this order. */
  public void setUpstreamHeaders(String name, List<String> values) {
    edit(new HeaderEdit(name, List.copyOf(values)));
  }

  private void edit(HeaderEdit e) {
    if (upstreamEdits == null) {
      upstreamEdits = new ArrayList<>(4);
    }
    upstreamEdits.add(e);
  }

  /** The current value a header will have upstream, edits included (for later policies). */
  public String upstreamHeader(String name) {
    String v = request.getHeader(name);
    if (upstreamEdits != null) {
      for (HeaderEdit e : upstreamEdits) {
        if (e.name.equalsIgnoreCase(name)) {
          v = e.values.isEmpty() ? null : e.values.get(0);
        }
      }
    }
    return v;
  }

  /** Every field line a header will have upstream, in order, edits included (empty: none). */
  public List<String> upstreamHeaders(String name) {
    List<String> v = request.getHeader(name) == null ? List.of() : request.headers().getAll(name);
    if (upstreamEdits != null) {
      for (HeaderEdit e : upstreamEdits) {
        if (e.name.equalsIgnoreCase(name)) {
          v = e.values;
        }
      }
    }
    return v;
  }

  /** Applies the edits to the headers of the request about to go upstream. */
  public void editUpstreamHeaders(MultiMap headers) {
    if (upstreamEdits == null) {
      return;
    }
    for (HeaderEdit e : upstreamEdits) {
      headers.remove(e.name);
      for (String value : e.values) {
        headers.add(e.name, value);
      }
    }
  }

  /**
   * A header every answer to this request carries (set, replacing one of the same name). A name that is a
   * Netty {@code AsciiString} constant keeps its hash from answer to answer.
   */
  public void setResponseHeader(CharSequence name, String value) {
    if (responseHeaders == null) {
      responseHeaders = new CharSequence[8];
    }
    for (int i = 0; i < responseHeaderCount; i += 2) {
      if (io.netty.util.AsciiString.contentEqualsIgnoreCase(responseHeaders[i], name)) {
        responseHeaders[i + 1] = value;
        return;
      }
    }
    if (responseHeaderCount == responseHeaders.length) {
      responseHeaders = java.util.Arrays.copyOf(responseHeaders, responseHeaderCount * 2);
    }
    responseHeaders[responseHeaderCount++] = name;
    responseHeaders[responseHeaderCount++] = value;
  }

  /** Records that {@code policy}'s response phase runs on this request's answer (the chain calls it). */
  void responds(Policy policy) {
    if (responders == null) {
      responders = new ArrayList<>(4);
    }
    responders.add(policy);
  }

  /** The response phase: headers set by policies, then each policy of the chain, last first. */
  public void onResponse(int status, MultiMap headers) {
    // Set name by name: MultiMap.setAll would clear the answer's own headers first.
    for (int i = 0; i < responseHeaderCount; i += 2) {
      headers.set(responseHeaders[i], responseHeaders[i + 1]);
    }
    for (int i = responders == null ? -1 : responders.size() - 1; i >= 0; i--) {
      responders.get(i).onResponse(this, status, headers);
    }
  }
}
