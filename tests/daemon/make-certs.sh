#!/bin/sh
# usage: make-certs.sh DIR
# A throw-away CA and, signed by it, a server certificate for localhost and
# 127.0.0.1 and a client certificate: DIR/ca.crt, DIR/server.pem and
# DIR/client.pem (certificate then key, as nng's cert_key_file wants).
set -eu
dir=$1
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
key ca.key
openssl req -x509 -new -key ca.key -out ca.crt -days 2 -subj /CN=gocsp-test-ca
for who in server client; do
	key $who.key
	openssl req -new -key $who.key -out $who.csr -subj "/CN=$who"
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > $who.ext
	openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key \
		-CAcreateserial -out $who.crt -days 2 -extfile $who.ext 2>/dev/null
	cat $who.crt $who.key > $who.pem
done
