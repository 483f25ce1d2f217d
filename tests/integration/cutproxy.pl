#!/usr/bin/perl
# cutproxy.pl PORTFILE TARGET_PORT PATTERN: a TCP proxy on 127.0.0.1 for the
# tests. It listens on a free port (written to PORTFILE once it listens),
# forwards every connection to 127.0.0.1:TARGET_PORT, and cuts a connection
# (closes both sides) as soon as the client sends bytes matching PATTERN (a
# Perl regex, case-insensitive): the server then never sees that request and
# the client sees its connection lost in the middle of a statement.
# Connections are served one after another; it runs until killed.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;

my ($portfile, $target, $pattern) = @ARGV;
die "usage: cutproxy.pl PORTFILE TARGET_PORT PATTERN\n" unless defined $pattern;
my $re = qr/$pattern/i;
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 8,
				   ReuseAddr => 1) or die "listen: $!\n";
open(my $pf, '>', "$portfile.tmp") or die "$portfile: $!\n";
print $pf $listen->sockport, "\n";
close $pf;
rename "$portfile.tmp", $portfile or die "$portfile: $!\n";

while (my $client = $listen->accept) {
	my $server = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $target)
		or do { close $client; next };
	my $sel = IO::Select->new($client, $server);
	my $seen = '';
	CONN: while (1) {
		for my $from ($sel->can_read) {
			my $to = $from == $client ? $server : $client;
			my $n = sysread($from, my $buf, 65536);
			last CONN unless $n;
			if ($from == $client) {
				# keep a tail so that a pattern split across reads is found
				$seen = substr($seen . $buf, -4096);
				last CONN if $seen =~ $re;
			}
			syswrite($to, $buf) or last CONN;
		}
	}
	close $client;
	close $server;
}
