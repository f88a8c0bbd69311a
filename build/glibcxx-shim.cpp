// GCC 13 added std::ios_base_library_init() (GLIBCXX_3.4.32) and emits a call to it from every
// translation unit that includes <iostream>. Its body only forces the standard streams to be
// initialised, which libstdc++ 3.4.30 already does when it is loaded, so an empty definition
// is a faithful stand-in on Debian 12.
namespace std { void ios_base_library_init() {} }
