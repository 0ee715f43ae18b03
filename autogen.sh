#!/bin/sh
# Generates ./configure and Makefile.in (needs autoconf and automake).
set -e
cd "$(dirname "$0")"
autoreconf --install --force
echo "Now run: ./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var && make && make install"
