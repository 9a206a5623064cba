package io.shopstream.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on 127.0.0.1 that a test can cut (every connection dropped, new ones refused) and
 * restore, to play a database outage without touching the database; or freeze, to play a host that
 * vanishes without closing anything: from then on its open connections carry nothing, for good, and
 * new ones are accepted and carry nothing until {@link #thaw()} (the host answers again).
 */
public final class TcpProxy implements AutoCloseable {

  /** One proxied connection; a frozen one never forwards another byte. */
  private static final class Link {
    volatile boolean frozen;
  }

  private final InetSocketAddress target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile boolean frozen;
  private volatile boolean closed;
  private ServerSocket server;

  public TcpProxy(String targetHost, int targetPort) throws IOException {
    this.target = new InetSocketAddress(targetHost, targetPort);
    this.port = Ports.free();
    restore();
  }

  public int port() {
    return port;
  }

  /** Accepts connections again. */
  public synchronized void restore() throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress("127.0.0.1", port));
    ServerSocket listening = server;
    daemon(() -> accept(listening));
  }

  /** Drops every connection and refuses new ones, until {@link #restore()}. */
  public synchronized void cut() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  /** Every open connection and every new one goes silent, without being closed. */
  public void freeze() {
    frozen = true;
    links.forEach(link -> link.frozen = true);
  }

  /** New connections carry data again; those frozen stay silent. */
  public void thaw() {
    frozen = false;
  }

  private void accept(ServerSocket listening) {
    while (!listening.isClosed()) {
      try {
        Socket client = listening.accept();
        Socket upstream = new Socket(target.getHostString(), target.getPort());
        sockets.add(client);
        sockets.add(upstream);
        Link link = new Link();
        link.frozen = frozen;
        links.add(link);
        daemon(() -> pump(client, upstream, link));
        daemon(() -> pump(upstream, client, link));
      } catch (IOException closed) {
        return; // cut() closed the listening socket
      }
    }
  }

  private void pump(Socket from, Socket to, Link link) {
    byte[] buffer = new byte[8192];
    try (InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream()) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        while (link.frozen && !closed) { // hold the bytes, and the socket, for good
          TimeUnit.MILLISECONDS.sleep(100);
        }
        out.write(buffer, 0, n);
      }
    } catch (IOException | InterruptedException dropped) {
      // one side closed: close the other below
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  private static void daemon(Runnable task) {
    Thread thread = new Thread(task, "tcp-proxy");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void close() throws IOException {
    closed = true;
    cut();
  }
}
