# The Archipelago image: one image for both roles, the coordinator (`archipelago up`) and a
# kernel (`archipelago kernel ...`); docker-compose.yml runs a cluster of them.
#
# It packages the distribution Maven builds (cli/target/archipelago: lib/*.jar and
# jvm.options), so build that first; docker/build-image.sh does both steps:
#   ./mvnw -B -ntp -DskipTests -pl cli -am package
#   docker build -t archipelago:dev .                                        # on eclipse-temurin:25-jdk
#   docker build --build-arg BASE_IMAGE=archipelago-base:25 -t archipelago:dev .   # no registry needed:
#                                         # the base made by docker/build-base-image.sh (what CI does)
# The base must be a Java 25 runtime with a /bin/sh, JAVA_HOME set, and the module jdk.compiler:
# Chronicle Map compiles classes at run time, so the official *JRE* images (no jdk.compiler)
# cannot run Archipelago; the default is the official JDK image, and the local base is a jlinked
# runtime that has it. docker/container/check-runtime stops the build when the base falls short.
ARG BASE_IMAGE=eclipse-temurin:25-jdk
FROM ${BASE_IMAGE}

ARG ARCHIPELAGO_UID=10001

# The command line (the entrypoint), its JVM options and the default cluster configuration.
COPY docker/container/archipelago /usr/local/bin/archipelago
COPY docker/container/check-runtime /opt/archipelago/bin/check-runtime
COPY docker/cluster.yaml /etc/archipelago/cluster.yaml
COPY cli/target/archipelago/jvm.options /opt/archipelago/jvm.options

# The base can run Archipelago (or the build stops here, saying why); an unprivileged user owns
# the cluster directories.
RUN chmod 0755 /usr/local/bin/archipelago /opt/archipelago/bin/check-runtime \
 && /opt/archipelago/bin/check-runtime \
 && echo "archipelago:x:${ARCHIPELAGO_UID}:${ARCHIPELAGO_UID}:Archipelago:/var/lib/archipelago:/bin/sh" >> /etc/passwd \
 && echo "archipelago:x:${ARCHIPELAGO_UID}:" >> /etc/group \
 && mkdir -p /var/lib/archipelago \
 && chown "${ARCHIPELAGO_UID}:${ARCHIPELAGO_UID}" /var/lib/archipelago \
 && chmod 0700 /var/lib/archipelago

# The jars last: they change with every build.
COPY cli/target/archipelago/lib/ /opt/archipelago/lib/

# Cluster directories live under $ARCHIPELAGO_HOME: mount the cluster's shared tmpfs volume there.
ENV ARCHIPELAGO_HOME=/var/lib/archipelago
USER ${ARCHIPELAGO_UID}:${ARCHIPELAGO_UID}
WORKDIR /var/lib/archipelago
ENTRYPOINT ["/usr/local/bin/archipelago"]
CMD ["--help"]
