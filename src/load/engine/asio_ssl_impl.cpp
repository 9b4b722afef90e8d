// The one translation unit that compiles Asio's separately compiled SSL sources (the generator's
// https support; the server does not speak TLS, so loadlab_http stays free of OpenSSL's libssl).
#include <boost/asio/ssl/impl/src.hpp>
