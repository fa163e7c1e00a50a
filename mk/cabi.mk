# The C interface: libhookwire.so, its installation with hookwire.h and hookwire.pc, the C and
# C++ examples, and the C tests.
#
#   make lib                    build/lib/libhookwire.so (release, Swift runtime linked in)
#   make install PREFIX=DIR     DIR/include/hookwire.h, DIR/lib/libhookwire.so*, DIR/lib/pkgconfig
#   make examples               build the examples against an installation in build/cabi-prefix
#   make test-cabi              header, export, C test and example checks (valgrind included)

CABI_VERSION := $(shell sed -n 's/^\#define HW_VERSION_STRING "\(.*\)"/\1/p' include/hookwire.h)
CABI_MAJOR := $(firstword $(subst ., ,$(CABI_VERSION)))
CABI_SONAME := libhookwire.so.$(CABI_MAJOR)
CABI_REALNAME := libhookwire.so.$(CABI_VERSION)
# The Swift runtime is linked statically (-static-stdlib) so that hosts need no Swift toolchain.
# It also keeps the runtime's crash backtracer out: a dynamically linked runtime installs it as
# handlers for SIGSEGV, SIGABRT and five other signals when the library loads, which a library
# must not do to its host (abi_test checks this).
# A scratch path of its own, so that the static release build is made once and reused.
CABI_SCRATCH ?= .build-cabi-release
CABI_PREFIX ?= $(CURDIR)/build/cabi-prefix
CABI_SWIFT_FLAGS = -c release --scratch-path $(CABI_SCRATCH) --product hookwire \
	-Xswiftc -static-stdlib \
	-Xlinker --version-script=$(CURDIR)/mk/libhookwire.map \
	-Xlinker -z -Xlinker nodelete \
	-Xlinker -soname=$(CABI_SONAME)

.PHONY: lib install examples test-cabi

lib:
	$(SWIFT) build $(CABI_SWIFT_FLAGS)
	@mkdir -p build/lib
	@# The DWARF 5 debug information swiftc writes is dropped: valgrind 3.19 cannot read it and
	@# gives up on the whole library. The symbol table stays, so stacks still name functions.
	@strip --strip-debug -o build/lib/$(CABI_REALNAME) "$$($(SWIFT) build $(CABI_SWIFT_FLAGS) --show-bin-path)/libhookwire.so"
	@ln -sf $(CABI_REALNAME) build/lib/$(CABI_SONAME)
	@ln -sf $(CABI_SONAME) build/lib/libhookwire.so
	@echo "built build/lib/$(CABI_REALNAME) (soname $(CABI_SONAME))"

install: lib
	install -d "$(PREFIX)/include" "$(PREFIX)/lib/pkgconfig"
	install -m 644 include/hookwire.h "$(PREFIX)/include/hookwire.h"
	install -m 755 build/lib/$(CABI_REALNAME) "$(PREFIX)/lib/$(CABI_REALNAME)"
	ln -sf $(CABI_REALNAME) "$(PREFIX)/lib/$(CABI_SONAME)"
	ln -sf $(CABI_SONAME) "$(PREFIX)/lib/libhookwire.so"
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(CABI_VERSION)|' hookwire.pc.in > "$(PREFIX)/lib/pkgconfig/hookwire.pc"

# The examples are built only from what `make install` puts in CABI_PREFIX, through pkg-config,
# as a host project would build them.
CABI_PKG = PKG_CONFIG_PATH=$(CABI_PREFIX)/lib/pkgconfig pkg-config
examples:
	$(MAKE) --no-print-directory install PREFIX=$(CABI_PREFIX)
	@mkdir -p build/examples
	cc -std=c99 -Wall -Wextra -Werror -pedantic -g -o build/examples/c-host examples/c/host.c \
		$$($(CABI_PKG) --cflags hookwire) $$($(CABI_PKG) --libs hookwire) -lpthread \
		-Wl,-rpath,$$($(CABI_PKG) --variable=libdir hookwire)
	c++ -std=c++17 -Wall -Wextra -Werror -pedantic -g -o build/examples/cpp-host examples/cpp/host.cpp \
		$$($(CABI_PKG) --cflags hookwire) $$($(CABI_PKG) --libs hookwire) -lpthread \
		-Wl,-rpath,$$($(CABI_PKG) --variable=libdir hookwire)

test-cabi: examples
	Tests/CABI/run.sh "$(CABI_PREFIX)"

EXTRA_TESTS += test-cabi
