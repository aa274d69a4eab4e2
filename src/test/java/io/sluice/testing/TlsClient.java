package io.sluice.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** A blocking TLS client for tests: the server name it indicates is chosen freely (no DNS needed). */
public final class TlsClient implements AutoCloseable {

  public final SSLSocket socket;

  /** Connects and completes the handshake (an SSLException when the server refuses it). */
  public TlsClient(SSLContext ctx, int port, String serverName) throws IOException {
    socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
    socket.setSoTimeout(10_000);
    SSLParameters p = socket.getSSLParameters();
    p.setServerNames(serverName == null ? List.of() : List.of(new SNIHostName(serverName)));
    p.setEndpointIdentificationAlgorithm(serverName == null ? null : "HTTPS");
    socket.setSSLParameters(p);
    socket.startHandshake();
  }

  public X509Certificate leaf() throws IOException {
    return (X509Certificate) socket.getSession().getPeerCertificates()[0];
  }

  /** One HTTP/1.1 keep-alive GET; answers "STATUS BODY". */
  public String get(String host, String path) throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    String head = readHead(in);
    int status = Integer.parseInt(head.substring(9, 12));
    int length = 0;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return status + " " + new String(body, StandardCharsets.UTF_8);
  }

  /** Sends {@code head} exactly as given (a request head of any shape) and answers the status of the reply. */
  public int status(String head) throws IOException {
    socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
    socket.getOutputStream().flush();
    return Integer.parseInt(readHead(socket.getInputStream()).substring(9, 12));
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) >= 0) {
      b.write(c);
      byte[] a = b.toByteArray();
      int n = a.length;
      if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
        break;
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
