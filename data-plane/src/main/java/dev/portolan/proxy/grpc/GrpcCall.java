package dev.portolan.proxy.grpc;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Parser;
import dev.portolan.proxy.grpc.GrpcStatusException.Code;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call's stream: the request written once, the server's length-prefixed messages decoded as
 * they arrive (split over frames or several in one), the status from the trailers. Event loop only,
 * except {@link #cancel}.
 */
final class GrpcCall<M> implements GrpcChannel.Call {
  private static final Logger log = LoggerFactory.getLogger(GrpcCall.class);
  private static final int PREFIX = 5;

  private final String method;
  private final byte[] request;
  private final Parser<M> parser;
  private final int maxMessageBytes;
  private final GrpcChannel.Listener<M> listener;
  private final EventLoop loop;
  private @Nullable ScheduledFuture<?> deadlineTimer;
  private long deadlineMillis = -1;
  private @Nullable IntConsumer reset;
  private int streamId = -1;
  private @Nullable ByteBuf partial;
  private @Nullable ByteBufAllocator alloc;
  private boolean headersSeen;
  private boolean done;

  GrpcCall(
      EventLoop loop,
      String method,
      byte[] request,
      Parser<M> parser,
      int maxMessageBytes,
      GrpcChannel.Listener<M> listener) {
    this.loop = loop;
    this.method = method;
    this.request = request;
    this.parser = parser;
    this.maxMessageBytes = maxMessageBytes;
    this.listener = listener;
  }

  void deadline(Duration after) {
    deadlineMillis = Math.max(1, after.toMillis());
    deadlineTimer =
        loop.schedule(
            () -> end(Code.DEADLINE_EXCEEDED, "no answer within " + deadlineMillis + " ms", null),
            deadlineMillis,
            TimeUnit.MILLISECONDS);
  }

  boolean done() {
    return done;
  }

  void opened(IntConsumer resetStream, int id, ByteBufAllocator allocator) {
    reset = resetStream;
    streamId = id;
    alloc = allocator;
  }

  Http2Headers headers(String authority, boolean https) {
    Http2Headers h =
        new DefaultHttp2Headers()
            .method("POST")
            .scheme(https ? "https" : "http")
            .path(method)
            .authority(authority)
            .add("content-type", "application/grpc")
            .add("te", "trailers")
            .add("user-agent", "portolan-proxy");
    if (deadlineMillis > 0) {
      h.add("grpc-timeout", deadlineMillis + "m");
    }
    return h;
  }

  ByteBuf body(ByteBufAllocator allocator) {
    ByteBuf b = allocator.buffer(PREFIX + request.length);
    return b.writeByte(0).writeInt(request.length).writeBytes(request);
  }

  @Override
  public void cancel(String reason) {
    if (loop.inEventLoop()) {
      end(Code.CANCELLED, reason, null);
    } else {
      loop.execute(() -> end(Code.CANCELLED, reason, null));
    }
  }

  void onHeaders(Http2Headers headers, boolean endOfStream) {
    if (done) {
      return;
    }
    if (!headersSeen) {
      headersSeen = true;
      CharSequence status = headers.status();
      if (status != null && !"200".contentEquals(status)) {
        end(httpStatus(status), "the policy-server answered HTTP " + status, null);
        return;
      }
      if (!endOfStream) {
        return;
      }
    }
    // Trailers, or a trailers-only answer.
    CharSequence grpcStatus = headers.get("grpc-status");
    if (grpcStatus == null) {
      end(Code.INTERNAL, "the answer ended without a grpc-status", null);
      return;
    }
    Code code;
    try {
      code = Code.of(Integer.parseInt(grpcStatus.toString()));
    } catch (NumberFormatException e) {
      end(Code.INTERNAL, "grpc-status '" + grpcStatus + "' is not a number", null);
      return;
    }
    if (code == Code.OK && partial != null && partial.isReadable()) {
      end(Code.INTERNAL, "the answer ended inside a message", null);
      return;
    }
    CharSequence message = headers.get("grpc-message");
    finish(
        code == Code.OK
            ? null
            : new GrpcStatusException(
                code, message == null ? null : percentDecoded(message.toString()), null));
  }

  void onData(ByteBuf data, boolean endOfStream) {
    if (done) {
      return;
    }
    ByteBuf in = partial;
    if (in == null) {
      in = alloc != null ? alloc.buffer(data.readableBytes()) : data.alloc().buffer();
      partial = in;
    }
    in.writeBytes(data);
    while (!done && in.readableBytes() >= PREFIX) {
      int at = in.readerIndex();
      byte flag = in.getByte(at);
      long length = in.getUnsignedInt(at + 1);
      if (flag != 0) {
        end(Code.INTERNAL, "a compressed message, and none was asked for", null);
        return;
      }
      if (length > maxMessageBytes) {
        end(
            Code.RESOURCE_EXHAUSTED,
            "a message of " + length + " bytes, over the limit of " + maxMessageBytes,
            null);
        return;
      }
      if (in.readableBytes() < PREFIX + length) {
        break;
      }
      M m;
      try {
        m = parser.parseFrom(CodedInputStream.newInstance(in.nioBuffer(at + PREFIX, (int) length)));
      } catch (InvalidProtocolBufferException e) {
        end(Code.INTERNAL, "a message that does not parse: " + e.getMessage(), e);
        return;
      }
      in.skipBytes(PREFIX + (int) length);
      try {
        listener.onMessage(m);
      } catch (RuntimeException e) {
        end(Code.CANCELLED, "the listener failed: " + e, e);
        return;
      }
    }
    if (!done) {
      in.discardReadBytes();
      if (endOfStream) {
        end(Code.INTERNAL, "the answer ended without trailers", null);
      }
    }
  }

  void onReset(@Nullable Http2Error error, long code) {
    Code c =
        error == Http2Error.REFUSED_STREAM
            ? Code.UNAVAILABLE
            : error == Http2Error.CANCEL ? Code.CANCELLED : Code.INTERNAL;
    finish(
        new GrpcStatusException(
            c,
            "the policy-server reset the stream (" + (error != null ? error : code) + ")",
            null));
  }

  /** Ends early: the stream is reset if it is open. */
  private void end(Code code, String description, @Nullable Throwable cause) {
    if (done) {
      return;
    }
    // The listener first: resetting closes the stream, which would end the call as UNAVAILABLE.
    finish(new GrpcStatusException(code, description, cause));
    IntConsumer r = reset;
    if (r != null && streamId > 0) {
      r.accept(streamId);
    }
  }

  /** Tells the listener once; {@code null} is OK. */
  void finish(@Nullable GrpcStatusException error) {
    if (done) {
      return;
    }
    done = true;
    if (deadlineTimer != null) {
      deadlineTimer.cancel(false);
    }
    if (partial != null) {
      partial.release();
      partial = null;
    }
    try {
      listener.onClose(error);
    } catch (RuntimeException e) {
      log.warn("gRPC call {}: the listener failed on close", method, e);
    }
  }

  private static Code httpStatus(CharSequence status) {
    return switch (status.toString()) {
      case "400" -> Code.INTERNAL;
      case "401" -> Code.UNAUTHENTICATED;
      case "403" -> Code.PERMISSION_DENIED;
      case "404" -> Code.UNIMPLEMENTED;
      case "429", "502", "503", "504" -> Code.UNAVAILABLE;
      default -> Code.UNKNOWN;
    };
  }

  /** {@code grpc-message} is percent-encoded UTF-8 (a '+' stays a '+'). */
  static String percentDecoded(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    try {
      return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return s;
    }
  }
}
