/* version.h: etlre's version, also shown by --version */
#ifndef ETLRE_VERSION_H
#define ETLRE_VERSION_H
#define ETLRE_VERSION "0.1.0"
#endif
