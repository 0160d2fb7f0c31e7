package dev.portolan.tools;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A small grpcurl: discovers services through the server's reflection API and calls any method with
 * a JSON request, printing JSON responses. Used to poke the policy-server by hand (no grpcurl
 * package exists here) and by tests.
 *
 * <pre>
 * grpcurl [-d JSON] [--max-msgs N] [--max-time SECONDS] HOST:PORT list
 * grpcurl ... HOST:PORT SERVICE/METHOD
 * </pre>
 */
public final class GrpcCurl {
  private final ManagedChannel channel;
  private final PrintStream out;

  public GrpcCurl(ManagedChannel channel, PrintStream out) {
    this.channel = channel;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    String data = "{}";
    int maxMsgs = Integer.MAX_VALUE;
    long maxTime = 0;
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-d" -> data = args[++i];
        case "--max-msgs" -> maxMsgs = Integer.parseInt(args[++i]);
        case "--max-time" -> maxTime = Long.parseLong(args[++i]);
        default -> rest.add(args[i]);
      }
    }
    if (rest.size() != 2) {
      System.err.println(
          "usage: grpcurl [-d JSON] [--max-msgs N] [--max-time SECONDS] HOST:PORT list|SERVICE/METHOD");
      System.exit(2);
    }
    String target = rest.get(0);
    ManagedChannel ch = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      GrpcCurl curl = new GrpcCurl(ch, System.out);
      if (rest.get(1).equals("list")) {
        curl.listServices().forEach(System.out::println);
      } else {
        curl.call(rest.get(1), data, maxMsgs, maxTime);
      }
    } catch (StatusRuntimeException e) {
      System.err.println(
          "ERROR: " + e.getStatus().getCode() + ": " + e.getStatus().getDescription());
      System.exit(1);
    } finally {
      ch.shutdownNow();
    }
  }

  public List<String> listServices() throws Exception {
    ServerReflectionResponse r =
        reflect(ServerReflectionRequest.newBuilder().setListServices("").build());
    List<String> names = new ArrayList<>();
    r.getListServicesResponse().getServiceList().forEach(s -> names.add(s.getName()));
    names.sort(String::compareTo);
    return names;
  }

  /** Calls {@code service/method} with a JSON request and prints each response as JSON. */
  public int call(String fullMethod, String json, int maxMsgs, long maxTimeSeconds)
      throws Exception {
    int slash = fullMethod.lastIndexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("method must be SERVICE/METHOD: " + fullMethod);
    }
    String serviceName = fullMethod.substring(0, slash);
    Descriptors.MethodDescriptor method =
        service(serviceName).findMethodByName(fullMethod.substring(slash + 1));
    if (method == null) {
      throw new IllegalArgumentException("no method " + fullMethod);
    }
    DynamicMessage.Builder req = DynamicMessage.newBuilder(method.getInputType());
    JsonFormat.parser().merge(json, req);
    MethodDescriptor<DynamicMessage, DynamicMessage> md =
        MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
            .setType(
                method.isServerStreaming()
                    ? MethodDescriptor.MethodType.SERVER_STREAMING
                    : MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(
                MethodDescriptor.generateFullMethodName(serviceName, method.getName()))
            .setRequestMarshaller(new DynamicMarshaller(method.getInputType()))
            .setResponseMarshaller(new DynamicMarshaller(method.getOutputType()))
            .build();
    CallOptions options = CallOptions.DEFAULT;
    if (maxTimeSeconds > 0) {
      options = options.withDeadlineAfter(maxTimeSeconds, TimeUnit.SECONDS);
    }
    JsonFormat.Printer printer = JsonFormat.printer();
    int n = 0;
    if (!method.isServerStreaming()) {
      out.println(printer.print(ClientCalls.blockingUnaryCall(channel, md, options, req.build())));
      return 1;
    }
    ClientCall<DynamicMessage, DynamicMessage> call = channel.newCall(md, options);
    Iterator<DynamicMessage> it = ClientCalls.blockingServerStreamingCall(call, req.build());
    try {
      while (n < maxMsgs && it.hasNext()) {
        out.println(printer.print(it.next()));
        n++;
      }
    } finally {
      call.cancel("done", null);
    }
    return n;
  }

  private Descriptors.ServiceDescriptor service(String name) throws Exception {
    ServerReflectionResponse r =
        reflect(ServerReflectionRequest.newBuilder().setFileContainingSymbol(name).build());
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    for (ByteString b : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(b);
      protos.put(p.getName(), p);
    }
    Map<String, Descriptors.FileDescriptor> built = new HashMap<>();
    for (FileDescriptorProto p : protos.values()) {
      Descriptors.FileDescriptor fd = build(p.getName(), protos, built);
      Descriptors.ServiceDescriptor s =
          fd.findServiceByName(name.substring(name.lastIndexOf('.') + 1));
      if (s != null && s.getFullName().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("no service " + name);
  }

  private static Descriptors.FileDescriptor build(
      String file,
      Map<String, FileDescriptorProto> protos,
      Map<String, Descriptors.FileDescriptor> built)
      throws Descriptors.DescriptorValidationException {
    Descriptors.FileDescriptor done = built.get(file);
    if (done != null) {
      return done;
    }
    FileDescriptorProto p =
        Objects.requireNonNull(protos.get(file), () -> "reflection did not send " + file);
    List<Descriptors.FileDescriptor> deps = new ArrayList<>();
    for (String dep : p.getDependencyList()) {
      deps.add(build(dep, protos, built));
    }
    Descriptors.FileDescriptor fd =
        Descriptors.FileDescriptor.buildFrom(p, deps.toArray(Descriptors.FileDescriptor[]::new));
    built.put(file, fd);
    return fd;
  }

  private ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> result = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    result.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    result.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(request);
    try {
      ServerReflectionResponse r = result.get(10, TimeUnit.SECONDS);
      if (r.hasErrorResponse()) {
        throw new IllegalArgumentException(r.getErrorResponse().getErrorMessage());
      }
      return r;
    } finally {
      requests.onCompleted();
    }
  }

  private record DynamicMarshaller(Descriptors.Descriptor type)
      implements MethodDescriptor.Marshaller<DynamicMessage> {
    @Override
    public InputStream stream(DynamicMessage value) {
      return new ByteArrayInputStream(value.toByteArray());
    }

    @Override
    public DynamicMessage parse(InputStream stream) {
      try {
        return DynamicMessage.parseFrom(type, stream);
      } catch (InvalidProtocolBufferException e) {
        throw new IllegalArgumentException(e);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }
}
