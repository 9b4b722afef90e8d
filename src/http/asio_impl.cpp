// The one translation unit that compiles Asio's and Beast's separately compiled sources.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
