# The Archipelago image: one image for both roles, the coordinator (`archipelago up`) and a
# kernel (`archipelago kernel ...`); docker-compose.yml runs a cluster of them.
#
# It packages the distribution Maven builds (coordinator/target/archipelago: lib/*.jar and
# jvm.options), so build that first; docker/build-image.sh does both steps:
#   ./mvnw -B -ntp -DskipTests -pl coordinator -am package
#   docker build -t archipelago:dev .                                        # on eclipse-temurin:25-jre
#   docker build --build-arg BASE_IMAGE=archipelago-base:25 -t archipelago:dev .   # no registry needed:
#                                         # the base made by docker/build-base-image.sh (what CI does)
# The base must be a Java 25 runtime with a /bin/sh and JAVA_HOME set (both kinds above are).
ARG BASE_IMAGE=eclipse-temurin:25-jre
FROM ${BASE_IMAGE}

ARG ARCHIPELAGO_UID=10001

# The command line (the entrypoint), its JVM options and the default cluster configuration.
COPY docker/container/archipelago /usr/local/bin/archipelago
COPY docker/container/fit-jvm-options /opt/archipelago/bin/fit-jvm-options
COPY docker/cluster.yaml /etc/archipelago/cluster.yaml
COPY coordinator/target/archipelago/jvm.options /opt/archipelago/jvm.options

# An unprivileged user owns the cluster directories; the JVM options lose the --add-exports of
# modules this runtime lacks (the official JRE has no jdk.compiler).
RUN chmod 0755 /usr/local/bin/archipelago /opt/archipelago/bin/fit-jvm-options \
 && /opt/archipelago/bin/fit-jvm-options \
 && echo "archipelago:x:${ARCHIPELAGO_UID}:${ARCHIPELAGO_UID}:Archipelago:/var/lib/archipelago:/bin/sh" >> /etc/passwd \
 && echo "archipelago:x:${ARCHIPELAGO_UID}:" >> /etc/group \
 && mkdir -p /var/lib/archipelago \
 && chown "${ARCHIPELAGO_UID}:${ARCHIPELAGO_UID}" /var/lib/archipelago \
 && chmod 0700 /var/lib/archipelago

# The jars last: they change with every build.
COPY coordinator/target/archipelago/lib/ /opt/archipelago/lib/

# Cluster directories live under $ARCHIPELAGO_HOME: mount the cluster's shared tmpfs volume there.
ENV ARCHIPELAGO_HOME=/var/lib/archipelago
USER ${ARCHIPELAGO_UID}:${ARCHIPELAGO_UID}
WORKDIR /var/lib/archipelago
ENTRYPOINT ["/usr/local/bin/archipelago"]
CMD ["--help"]
