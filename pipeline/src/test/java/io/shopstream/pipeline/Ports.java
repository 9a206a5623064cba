package io.shopstream.pipeline;

import java.io.IOException;
import java.net.ServerSocket;

/** Free ports on 127.0.0.1 for the servers a test starts. */
public final class Ports {
  private Ports() {}

  public static int free() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}
